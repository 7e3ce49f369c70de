// Material renders Mermaid fences with window.mermaid and fetches it from a CDN when it is
// missing. This stand-in keeps every request local and loads the vendored Mermaid only when a
// page first renders a diagram; the real library then replaces window.mermaid.
(() => {
  const source = new URL("vendor/mermaid.min.js", document.currentScript.src).href;
  let settings = {};
  let loaded;
  const load = () =>
    (loaded ??= new Promise((resolve, reject) => {
      const script = document.createElement("script");
      script.src = source;
      script.onload = () => {
        window.mermaid.initialize(settings);
        resolve(window.mermaid);
      };
      script.onerror = () => reject(new Error(`could not load ${source}`));
      document.head.appendChild(script);
    }));
  window.mermaid = {
    initialize: (options) => { settings = options; },
    render: (id, text) => load().then((mermaid) => mermaid.render(id, text)),
  };
})();
