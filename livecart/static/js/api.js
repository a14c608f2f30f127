// The HTTP API: JSON in and out, bearer token, errors as ApiError with the protocol's code and details.

/** @typedef {import("./protocol.js").ApiErrorBody} ApiErrorBody */

export class ApiError extends Error {
  /**
   * @param {number} status the HTTP status (0: no answer)
   * @param {ApiErrorBody|null} body null when the answer was not the protocol's JSON (a proxy's page, say)
   */
  constructor(status, body) {
    const error = body ? body.error : { code: "error", message: `request failed (${status})` };
    super(error.message);
    this.status = status;
    this.code = error.code;
    /** @type {import("./protocol.js").ApiErrorInfo} the code, message and details */
    this.details = error;
  }
}

/**
 * Call the API; resolves with the reply's JSON (null for 204), rejects with an ApiError. Callers declare
 * the reply's type from protocol.js with a JSDoc `@type` on the variable that takes it.
 * @param {string} method
 * @param {string} path
 * @param {{token?: string|null, json?: unknown, headers?: Object<string, string>}} [options]
 * @returns {Promise<any>}
 */
export async function api(method, path, { token, json, headers = {} } = {}) {
  /** @type {Object<string, string>} */
  const sent = { Accept: "application/json", ...headers };
  /** @type {RequestInit} */
  const init = { method, headers: sent };
  if (token) sent.Authorization = `Bearer ${token}`;
  if (json !== undefined) {
    sent["Content-Type"] = "application/json";
    init.body = JSON.stringify(json);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch (cause) {
    const error = new ApiError(0, {
      error: { code: "network", message: "No connection to the server. Check your network and try again." },
    });
    error.cause = cause;
    throw error;
  }
  if (response.status === 204) return null;
  const text = await response.text();
  let body = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    // not JSON: an error page from something in front of the server
  }
  if (!response.ok) throw new ApiError(response.status, body);
  return body;
}
