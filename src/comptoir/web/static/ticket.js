// The ticket's "Print" button opens the browser's print dialog (a file, since the CSP allows no inline script).
document.getElementById("print")?.addEventListener("click", () => window.print());
