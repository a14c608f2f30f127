// Tokens: a host's or brand's comes in the URL fragment (#token=…), is kept in sessionStorage and
// removed from the address bar; a viewer's is kept in localStorage so the cart survives reloads.

export function tokenFromFragment(storageKey) {
  const params = new URLSearchParams(location.hash.slice(1));
  const fromUrl = params.get("token");
  if (fromUrl) {
    sessionStorage.setItem(storageKey, fromUrl);
    history.replaceState(null, "", location.pathname + location.search);
  }
  return sessionStorage.getItem(storageKey);
}

export function saveSessionToken(storageKey, token) {
  sessionStorage.setItem(storageKey, token);
}

export function forgetSessionToken(storageKey) {
  sessionStorage.removeItem(storageKey);
}

const VIEWER_KEY = "livecart.viewer";

/** The viewer saved in this browser: {id, name, token} or null. */
export function savedViewer() {
  try {
    const viewer = JSON.parse(localStorage.getItem(VIEWER_KEY) || "null");
    return viewer && viewer.token ? viewer : null;
  } catch {
    return null;
  }
}

export function saveViewer(viewer) {
  localStorage.setItem(VIEWER_KEY, JSON.stringify({ id: viewer.id, name: viewer.name, token: viewer.token }));
}

export function forgetViewer() {
  localStorage.removeItem(VIEWER_KEY);
}
