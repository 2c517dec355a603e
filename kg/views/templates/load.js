"use strict";
// vis-network travels gzipped (a third of its size) and is unpacked by the browser itself;
// the page's Content-Security-Policy lists the hash of the unpacked script, so it alone may run.
(async function () {
  const packed = document.getElementById("vis-gzip").textContent;
  const bytes = Uint8Array.from(atob(packed), (c) => c.charCodeAt(0));
  const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
  const script = document.createElement("script");
  script.textContent = await new Response(stream).text();
  document.head.appendChild(script);
  window.kgStart();
})().catch((error) => {
  const note = document.getElementById("counts");
  note.textContent = `This browser could not unpack the graph library (${error}); open the page in a current browser.`;
  console.error(error);
});
