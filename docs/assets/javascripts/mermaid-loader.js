// Material renders Mermaid fences with window.mermaid and fetches it from a CDN when it is
// missing. This stand-in keeps every request local, and draws each diagram only when it comes
// within a screen of the viewport: Mermaid (about 1 MB gzipped) loads on the first such diagram,
// so a page whose diagrams sit below the fold opens without it.
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
  // Material passes the diagram's text; its <pre class="mermaid"> stays in the page until drawn.
  const waiting = new Set();
  const nearViewport = (text) => {
    const fence = [...document.querySelectorAll("pre.mermaid")]
      .find((element) => element.textContent === text && !waiting.has(element));
    if (!fence) return Promise.resolve();
    waiting.add(fence);
    return new Promise((resolve) => {
      const observer = new IntersectionObserver((entries) => {
        if (entries.some((entry) => entry.isIntersecting)) {
          observer.disconnect();
          waiting.delete(fence);
          resolve();
        }
      }, { rootMargin: "50% 0px" });
      observer.observe(fence);
    });
  };
  window.mermaid = {
    initialize: (options) => { settings = options; },
    render: (id, text) => nearViewport(text).then(load).then((mermaid) => mermaid.render(id, text)),
  };
})();
