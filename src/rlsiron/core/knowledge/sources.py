"""The sources that findings cite, by the short ids of REFERENCE.md."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

SOURCES: Mapping[str, str] = MappingProxyType(
    {
        "AASM-2024": "Winkelman JW et al. Treatment of RLS and PLMD: an AASM clinical practice "
        "guideline. J Clin Sleep Med 2025;21(1):137-152, doi:10.5664/jcsm.11390",
        "IRLSSG-2018": "Allen RP et al. Evidence-based and consensus guidelines for the iron "
        "treatment of RLS/WED in adults and children: an IRLSSG task force report. "
        "Sleep Med 2018;41:27-44",
        "IRLSSG-2014": "Allen RP et al. RLS/WED diagnostic criteria: updated IRLSSG consensus "
        "criteria. Sleep Med 2014;15(8):860-873",
        "MAYO-2021": "Silber MH et al. The management of RLS: an updated algorithm. "
        "Mayo Clin Proc 2021;96(7):1921-1937",
        "PREG-2015": "Picchietti DL et al. Consensus guidelines for RLS/WED during pregnancy and "
        "lactation. Sleep Med Rev 2015;22:64-77",
        "IRLS-2003": "Walters AS et al. Validation of the IRLSSG rating scale for RLS. "
        "Sleep Med 2003;4:121-132",
        "WHO-FER-2020": "WHO guideline on use of ferritin concentrations to assess iron status in "
        "individuals and populations, 2020",
        "WHO-HB-2024": "WHO guideline on haemoglobin cutoffs to define anaemia in individuals and "
        "populations, 2024",
        "THURNHAM-2010": "Thurnham DI et al. Adjusting plasma ferritin concentrations to remove "
        "the effects of subclinical inflammation. Am J Clin Nutr 2010;92:546-555",
        "EASL-2022": "EASL clinical practice guidelines on haemochromatosis. "
        "J Hepatol 2022;77:479-502",
        "AASLD-2011": "Bacon BR et al. Diagnosis and management of hemochromatosis: AASLD "
        "practice guideline. Hepatology 2011;54:328-343",
        "BSG-2021": "Snook J et al. BSG guidelines for the management of iron deficiency anaemia "
        "in adults. Gut 2021;70:2030-2051",
        "DRI-2001": "Institute of Medicine. Dietary Reference Intakes for Vitamin A, Vitamin K, "
        "... Iron ... 2001",
        "STOFFEL-2017": "Stoffel NU et al. Lancet Haematol 2017;4:e524-33 (alternate-day oral iron)",
        "STOFFEL-2020": "Stoffel NU et al. Haematologica 2020;105:1232-1239 "
        "(alternate-day oral iron)",
        "MORETTI-2015": "Moretti D et al. Oral iron supplements increase hepcidin and decrease iron "
        "absorption from daily or twice-daily doses. Blood 2015;126:1981-1989",
        "SEED": "The project's two seed articles: ferritin below 50 is often associated with RLS; "
        "check TSAT and TIBC; oral or IV iron; diet; vitamin C; monitoring; too much iron harms",
        "ASSAY-NOTE": "Ferritin assay comparison (Roche Elecsys vs Beckman) as summarised in the "
        "project's clinical reference; the primary paper is not named there",
        "USDA-SR28": "USDA ARS Nutrient Data Laboratory. National Nutrient Database for Standard "
        "Reference, Release 28, 2015",
    }
)
