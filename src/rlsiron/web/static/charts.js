// Draws each chart of the page with vega-embed from its Vega-Lite spec, which the page
// carries as data: <script type="application/json" data-chart-for="ID">.
//
// The Content-Security-Policy allows no eval and no inline style, so:
// - ast: true makes Vega evaluate expressions with the interpreter vega-embed bundles
//   (vega-interpreter) instead of compiling them with new Function;
// - defaultStyle: false and the tooltip's disableDefaultStyle keep vega-embed and
//   vega-tooltip from adding <style> elements (app.css styles both instead);
// - actions: false: no export menu (it would open the spec in a new window).
"use strict";

function drawCharts() {
  for (const data of document.querySelectorAll('script[type="application/json"][data-chart-for]')) {
    const target = document.getElementById(data.dataset.chartFor);
    if (!target) {
      continue;
    }
    const options = {
      ast: true,
      actions: false,
      renderer: "svg",
      defaultStyle: false,
      tooltip: { disableDefaultStyle: true },
    };
    vegaEmbed(target, JSON.parse(data.textContent), options).catch((error) => {
      target.textContent = "The chart could not be drawn (" + error.message + "); the results are in the table below.";
    });
  }
}

if (document.readyState === "loading") {
  document.addEventListener("DOMContentLoaded", drawCharts);
} else {
  drawCharts();
}
