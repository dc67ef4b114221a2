// Start GOV.UK Frontend's components. Loaded as a module, so browsers too old for it skip it
// and get the plain, fully working HTML pages.
import { initAll } from "../vendor/govuk/govuk-frontend.min.js";

document.body.classList.add("js-enabled", "govuk-frontend-supported");
initAll();

// Narrow screens show each table row as a card with every value under its column's name
// (kith.css): give each cell that name from the table's headers, unless the template did.
for (const table of document.querySelectorAll("table.govuk-table")) {
  const names = Array.from(table.querySelectorAll(":scope > thead th"), (header) => {
    const hidden = header.querySelector(".govuk-visually-hidden");
    const name = header.textContent.trim();
    // A column named only for screen readers ("Action") needs no visible name.
    return hidden && hidden.textContent.trim() === name ? "" : name;
  });
  for (const row of table.querySelectorAll(":scope > tbody > tr")) {
    Array.from(row.children).forEach((cell, index) => {
      if (!cell.hasAttribute("data-label") && index < names.length) {
        cell.setAttribute("data-label", names[index]);
      }
    });
  }
}
