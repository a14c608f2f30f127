// ESLint (flat config) for the pages' ES modules in livecart/static/js; `npm run lint` runs it, prettier and tsc.
// CommonJS on purpose: the repository's Node scripts (tests/live/node_viewer.js) are CommonJS.
const js = require("@eslint/js");
const globals = require("globals");

module.exports = [
  js.configs.recommended,
  {
    files: ["livecart/static/js/**/*.js"],
    languageOptions: {
      ecmaVersion: 2022,
      sourceType: "module",
      globals: { ...globals.browser },
    },
    rules: {
      eqeqeq: ["error", "always"],
      curly: ["error", "multi-line"],
      "no-var": "error",
      "prefer-const": "error",
      "no-unused-vars": ["error", { args: "after-used", caughtErrors: "none" }],
      "no-shadow": "error",
      "no-use-before-define": ["error", { functions: false, classes: true, variables: true }],
      "no-restricted-properties": [
        "error",
        { property: "innerHTML", message: "User text goes in with textContent (dom.js)." },
        { property: "outerHTML", message: "User text goes in with textContent (dom.js)." },
        { property: "insertAdjacentHTML", message: "User text goes in with textContent (dom.js)." },
      ],
    },
  },
  {
    files: ["eslint.config.js"],
    languageOptions: { sourceType: "commonjs", globals: { ...globals.node } },
  },
];
