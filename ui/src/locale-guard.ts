// WebKitGTK reports the POSIX locale (LANG=C / C.UTF-8) as the language tag "C", which
// Intl rejects; uPlot formats numbers with navigator.language while loading, so the whole
// page would stay blank. Fall back to en-US when the tag is unusable. Imported first.
try {
  new Intl.NumberFormat(navigator.language);
} catch {
  Object.defineProperty(navigator, "language", { value: "en-US", configurable: true });
  Object.defineProperty(navigator, "languages", { value: ["en-US"], configurable: true });
}

export {};
