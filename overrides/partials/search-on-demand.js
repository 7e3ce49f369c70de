// Material's bundle requests the search index (about 1 MB, 285 KB gzipped) as each first visit loads, parses it on
// the main thread and posts it to its search worker. Most visits never search, so the request is held until a reader
// shows they will: a pointer over the search box or its icon, focus in it, opening it by click or keyboard, or
// arriving from a search result (?h=, which highlights the query on the page).
(function () {
  var open = XMLHttpRequest.prototype.open
  var send = XMLHttpRequest.prototype.send
  var indexRequests = new WeakSet()
  var held = []
  var released = new URLSearchParams(location.search).has("h")

  function release() {
    if (released) return
    released = true
    held.splice(0).forEach(function (call) { send.apply(call.request, call.args) })
  }

  XMLHttpRequest.prototype.open = function (method, url) {
    if (/\/search\/search_index\.json$/.test(new URL(url, location.href).pathname)) indexRequests.add(this)
    return open.apply(this, arguments)
  }
  XMLHttpRequest.prototype.send = function () {
    if (released || !indexRequests.has(this)) return send.apply(this, arguments)
    held.push({ request: this, args: arguments })
  }

  function intent(event) {
    var target = event.target
    if (target instanceof Element && target.closest("[data-md-component=search], label[for=__search]")) release()
  }
  ;["pointerover", "touchstart", "focusin"].forEach(function (type) {
    document.addEventListener(type, intent, { passive: true, capture: true })
  })
  document.addEventListener("change", function (event) {
    if (event.target.id === "__search" && event.target.checked) release()
  })
})()
