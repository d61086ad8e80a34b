// Loads the WebAssembly app (a file, not an inline script: the CSP allows the app's own scripts only).
import init from "/frontend.js";
init();
