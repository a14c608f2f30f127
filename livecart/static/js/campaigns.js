// The brand console's Campaigns panel: publish a campaign, list the brand's campaigns with their
// applications (approve / reject), invite a host by id, end a campaign, and its performance per host as
// a table and a bar chart (net sales per host).
import { api } from "./api.js";
import { drawBars } from "./chart.js";
import { $, announce, el, setText, userText } from "./dom.js";
import { formatMoney } from "./money.js";

/**
 * @typedef {import("./protocol.js").Account} Account
 * @typedef {import("./protocol.js").Campaign} Campaign
 * @typedef {import("./protocol.js").CampaignList} CampaignList
 * @typedef {import("./protocol.js").CampaignApplicationList} CampaignApplicationList
 * @typedef {import("./protocol.js").CampaignPerformance} CampaignPerformance
 * @typedef {import("./protocol.js").HostPerformance} HostPerformance
 * @typedef {import("./protocol.js").Product} Product
 */

const DAY_MS = 86_400_000;

const panel = {
  /** @type {string|null} */
  token: null,
  /** @type {Account|null} */
  me: null,
  /** @type {Map<string, Product>} */
  products: new Map(),
};

const authed = (method, path, options = {}) => api(method, path, { token: panel.token, ...options });
const percent = (bps) => `${(bps / 100).toLocaleString(undefined, { maximumFractionDigits: 2 })} %`;
const idOf = (id) => encodeURIComponent(id);

/**
 * Show the panel for the signed-in brand.
 * @param {{token: string|null, me: Account, products: Map<string, Product>}} options
 */
export async function mountCampaigns({ token, me, products }) {
  Object.assign(panel, { token, me, products });
  $("#campaigns-panel").hidden = false;
  $("#campaign-products").replaceChildren(
    ...[...products.values()].map((product) =>
      el(
        "label",
        { class: "row" },
        el("input", { type: "checkbox", name: "product_ids", value: product.id }),
        userText("span", product.title),
      ),
    ),
  );
  const form = $("#campaign-form");
  if (!form.dataset.ready) {
    form.addEventListener("submit", publish);
    form.dataset.ready = "1";
  }
  await loadCampaigns();
}

function numberOrNull(input) {
  return input.value === "" ? null : Math.round(Number(input.value));
}

async function publish(event) {
  event.preventDefault();
  const form = event.currentTarget;
  const productIds = [...form.querySelectorAll('input[name="product_ids"]:checked')].map((box) => box.value);
  const now = Date.now();
  const body = {
    title: $("#campaign-title").value.trim(),
    brief: $("#campaign-brief").value.trim(),
    product_ids: productIds,
    commission_bps: Math.round(Number($("#campaign-commission").value) * 100),
    starts_at: new Date(now - 60_000).toISOString(), // a minute back: active at once, whatever the clocks say
    ends_at: new Date(now + Number($("#campaign-days").value) * DAY_MS).toISOString(),
    open: $("#campaign-open").checked,
    max_hosts: numberOrNull($("#campaign-max-hosts")),
    units_cap: numberOrNull($("#campaign-units-cap")),
  };
  setText("#campaigns-error", "");
  try {
    /** @type {Campaign} */
    const campaign = await authed("POST", "/api/campaigns", { json: body });
    announce($("#campaigns-ok"), `Published: ${campaign.title}.`, 4000);
    form.reset();
    await loadCampaigns();
  } catch (error) {
    const fields = error.details.fields || {};
    const named = Object.entries(fields).map(([name, problem]) => `${name}: ${problem}`);
    setText("#campaigns-error", named.length ? named.join(" · ") : error.message);
  }
}

async function loadCampaigns() {
  try {
    /** @type {CampaignList} */
    const list = await authed("GET", `/api/campaigns?brand_id=${idOf(panel.me.id)}&limit=100`);
    const rows = await Promise.all(list.campaigns.map(campaignRow));
    $("#campaigns").replaceChildren(...rows);
    $("#campaigns-empty").hidden = rows.length > 0;
  } catch (error) {
    setText("#campaigns-error", error.message);
  }
}

/** @param {Campaign} campaign */
async function campaignRow(campaign) {
  const titles = campaign.product_ids.map((id) => panel.products.get(id)?.title || id).join(", ");
  const end = el("button", { class: "btn btn-small", type: "button", text: "End" });
  end.addEventListener("click", () => act("POST", `/api/campaigns/${idOf(campaign.id)}/end`, "Campaign ended."));
  end.hidden = campaign.status === "ended";
  const inviteId = `invite-${campaign.id}`;
  const invite = el("input", { class: "input", id: inviteId, name: "host_id", placeholder: "host id" });
  const send = el("button", { class: "btn btn-small", type: "button", text: "Invite" });
  send.addEventListener("click", () =>
    act("POST", `/api/campaigns/${idOf(campaign.id)}/invitations`, "Invitation sent.", {
      host_id: invite.value.trim(),
    }),
  );
  return el(
    "li",
    { class: "campaign", dataset: { campaignId: campaign.id } },
    el(
      "div",
      { class: "grow" },
      userText("strong", campaign.title),
      ` · ${percent(campaign.commission_bps)} · ${titles} · `,
      el("span", { class: "badge", text: campaign.status }),
      campaign.units_cap ? ` · ${campaign.units_sold} of ${campaign.units_cap} units` : "",
    ),
    end,
    el("div", { class: "row" }, el("label", { for: inviteId, text: "Invite a host" }), invite, send),
    await applicationsList(campaign),
    await performanceView(campaign),
  );
}

async function applicationsList(campaign) {
  /** @type {CampaignApplicationList} */
  const list = await authed("GET", `/api/campaigns/${idOf(campaign.id)}/applications`);
  const rows = list.applications.map((application) => {
    const buttons = [];
    if (application.status === "pending") {
      for (const [verb, label] of [
        ["approve", "Approve"],
        ["reject", "Reject"],
      ]) {
        const button = el("button", { class: "btn btn-small", type: "button", text: label });
        button.addEventListener("click", () =>
          act("POST", `/api/applications/${idOf(application.id)}/${verb}`, `${label}d.`),
        );
        buttons.push(button);
      }
    }
    return el(
      "li",
      { class: "application", dataset: { applicationId: application.id } },
      userText("span", application.host_name || application.host_id, { class: "grow" }),
      userText("span", application.pitch, { class: "hint" }),
      el("span", { class: "badge", text: application.status }),
      ...buttons,
    );
  });
  return el(
    "div",
    {},
    el("h3", { text: "Applications" }),
    rows.length ? el("ul", { class: "list" }, ...rows) : el("p", { class: "empty", text: "No application yet." }),
  );
}

async function performanceView(campaign) {
  /** @type {CampaignPerformance} */
  const performance = await authed("GET", `/api/campaigns/${idOf(campaign.id)}/performance`);
  const money = (row) => row.money[0];
  const cell = (text) => el("td", { text });
  const rows = performance.hosts.map((row) =>
    el(
      "tr",
      { dataset: { hostId: row.host_id } },
      userText("th", row.host_name, { scope: "row" }),
      cell(String(row.shows)),
      cell(String(row.viewers_reached)),
      cell(String(row.orders)),
      cell(String(row.units)),
      cell(money(row) ? formatMoney(money(row).gmv_cents, money(row).currency) : "—"),
      cell(money(row) ? formatMoney(money(row).refunds_cents, money(row).currency) : "—"),
      cell(money(row) ? formatMoney(money(row).net_gmv_cents, money(row).currency) : "—"),
      cell(money(row) ? formatMoney(money(row).commission_cents, money(row).currency) : "—"),
      cell(`${(row.conversion * 100).toFixed(1)} %`),
      cell(row.link ? `${row.link.clicks} / ${row.link.viewers} / ${row.link.sales}` : "—"),
    ),
  );
  const headers = ["Host", "Shows", "Viewers reached", "Orders", "Units", "GMV", "Refunds", "Net GMV", "Commission",
    "Conversion", "Link clicks / viewers / sales"]; // prettier-ignore
  const canvas = el("canvas", { width: 560, height: 120, role: "img", "aria-label": "Net sales per host" });
  const view = el(
    "div",
    { class: "performance" },
    el("h3", { text: "Performance per host" }),
    el(
      "div",
      { class: "table-wrap" },
      el(
        "table",
        {},
        el("thead", {}, el("tr", {}, ...headers.map((text) => el("th", { scope: "col", text })))),
        el("tbody", {}, ...rows),
      ),
    ),
    canvas,
  );
  const currency = performance.hosts.map(money).find(Boolean)?.currency || "EUR";
  requestAnimationFrame(() =>
    drawBars(
      canvas,
      performance.hosts.map((row) => ({ label: row.host_name, value: money(row)?.net_gmv_cents || 0 })),
      (cents) => formatMoney(cents, currency),
    ),
  );
  return view;
}

async function act(method, path, done, json = undefined) {
  setText("#campaigns-error", "");
  try {
    await authed(method, path, json === undefined ? {} : { json });
    announce($("#campaigns-ok"), done, 4000);
    await loadCampaigns();
  } catch (error) {
    setText("#campaigns-error", error.message);
  }
}
