// Start GOV.UK Frontend's components. Loaded as a module, so browsers too old for it skip it
// and get the plain, fully working HTML pages.
import { initAll } from "../vendor/govuk/govuk-frontend.min.js";

document.body.classList.add("js-enabled", "govuk-frontend-supported");
initAll();
