// The host page (/host, token in the fragment): campaigns to browse and apply to, my applications with
// their share links and a way to put a campaign's products in a show, my shows (create one, open its
// studio), and the money: balance, payouts and the statement.
import { api } from "./api.js";
import { $, announce, el, setText, timeText, userText } from "./dom.js";
import { translatePage } from "./i18n.js";
import { formatMoney } from "./money.js";
import { SignIn } from "./signin.js";

/**
 * @typedef {import("./protocol.js").Account} Account
 * @typedef {import("./protocol.js").BalanceList} BalanceList
 * @typedef {import("./protocol.js").Campaign} Campaign
 * @typedef {import("./protocol.js").CampaignList} CampaignList
 * @typedef {import("./protocol.js").HostApplication} HostApplication
 * @typedef {import("./protocol.js").HostApplicationList} HostApplicationList
 * @typedef {import("./protocol.js").HostInvitationList} HostInvitationList
 * @typedef {import("./protocol.js").PayoutList} PayoutList
 * @typedef {import("./protocol.js").Show} Show
 * @typedef {import("./protocol.js").ShowList} ShowList
 * @typedef {import("./protocol.js").ShareLink} ShareLink
 */

const signIn = new SignIn({
  storageKey: "livecart.host.token",
  panel: "#host-page",
  roles: ["host"],
  invalid: "That token is not valid. Paste your host token again.",
  missing: "Paste your host token.",
  wrongRole: (role) => `That is a ${role} token; this page needs a host's token.`,
});

const state = {
  /** @type {Account|null} */
  me: null,
  /** @type {HostApplication[]} */
  applications: [],
  /** @type {Show[]} */
  shows: [],
};

const authed = (method, path, options = {}) => api(method, path, { token: signIn.token, ...options });
const percent = (bps) => `${(bps / 100).toLocaleString(undefined, { maximumFractionDigits: 2 })} %`;
const mine = () => encodeURIComponent(state.me.id);

// ---- campaigns ----------------------------------------------------------------------------------
async function loadCampaigns() {
  const q = $("#search-input").value.trim();
  try {
    /** @type {CampaignList} */
    const page = await authed("GET", `/api/campaigns?status=active&limit=50&q=${encodeURIComponent(q)}`);
    renderCampaigns(page.campaigns);
    setText("#campaigns-error", "");
  } catch (error) {
    setText("#campaigns-error", error.message);
  }
}

function renderCampaigns(campaigns) {
  const applied = new Set(state.applications.map((one) => one.campaign_id));
  const rows = campaigns.map((campaign) => {
    const pitchId = `pitch-${campaign.id}`;
    const pitch = el("input", { class: "input grow", id: pitchId, name: "pitch", maxlength: 5000 });
    const apply = el("button", { class: "btn btn-small btn-primary", type: "button", text: "Apply" });
    apply.addEventListener("click", () => applyTo(campaign, pitch.value, apply));
    const done = applied.has(campaign.id);
    return el(
      "li",
      { dataset: { campaignId: campaign.id } },
      el(
        "div",
        { class: "grow" },
        userText("strong", campaign.title),
        ` · ${percent(campaign.commission_bps)} commission${campaign.open ? " · open to every host" : ""}`,
        userText("p", campaign.brief, { class: "hint" }),
      ),
      done
        ? el("span", { class: "badge", text: "Applied" })
        : el("span", { class: "row" }, el("label", { for: pitchId, text: "Your pitch" }), pitch, apply),
    );
  });
  $("#campaigns").replaceChildren(...rows);
  $("#campaigns-empty").hidden = rows.length > 0;
}

async function applyTo(campaign, pitch, button) {
  button.disabled = true;
  try {
    await authed("POST", `/api/campaigns/${encodeURIComponent(campaign.id)}/applications`, { json: { pitch } });
    announce($("#notice"), `Applied to ${campaign.title}.`, 4000);
    await loadApplications();
    await loadCampaigns();
  } catch (error) {
    setText("#campaigns-error", error.message);
    button.disabled = false;
  }
}

// ---- invitations --------------------------------------------------------------------------------
async function loadInvitations() {
  try {
    /** @type {HostInvitationList} */
    const list = await authed("GET", `/api/hosts/${mine()}/invitations`);
    const pending = list.invitations.filter((one) => one.status === "pending");
    $("#invitations-panel").hidden = pending.length === 0;
    $("#invitations").replaceChildren(
      ...pending.map((invitation) => {
        const title = invitation.campaign ? invitation.campaign.title : invitation.campaign_id;
        const accept = el("button", { class: "btn btn-small btn-primary", type: "button", text: "Accept" });
        accept.addEventListener("click", async () => {
          try {
            await authed("POST", `/api/invitations/${encodeURIComponent(invitation.id)}/accept`);
            announce($("#notice"), `You joined ${title}.`, 4000);
            await loadInvitations();
            await loadApplications();
          } catch (error) {
            setText("#invitations-error", error.message);
          }
        });
        const rate = invitation.campaign ? ` · ${percent(invitation.campaign.commission_bps)}` : "";
        return el("li", { dataset: { invitationId: invitation.id } }, userText("strong", title), rate, accept);
      }),
    );
  } catch (error) {
    setText("#invitations-error", error.message);
  }
}

// ---- applications -------------------------------------------------------------------------------
async function loadApplications() {
  try {
    /** @type {HostApplicationList} */
    const list = await authed("GET", `/api/hosts/${mine()}/applications`);
    state.applications = list.applications;
    renderApplications();
    setText("#applications-error", "");
  } catch (error) {
    setText("#applications-error", error.message);
  }
}

function renderApplications() {
  const rows = state.applications.map((application) => {
    const campaign = application.campaign;
    const parts = [
      el(
        "div",
        { class: "grow" },
        userText("strong", campaign ? campaign.title : application.campaign_id),
        campaign ? ` · ${percent(campaign.commission_bps)} · campaign ${campaign.status}` : "",
      ),
      el("span", { class: `badge ${application.status === "approved" ? "badge-ok" : ""}`, text: application.status }),
    ];
    if (application.status === "approved" && campaign) parts.push(...approvedTools(application, campaign));
    return el("li", { dataset: { applicationId: application.id } }, ...parts);
  });
  $("#applications").replaceChildren(...rows);
  $("#applications-empty").hidden = rows.length > 0;
}

function approvedTools(application, campaign) {
  const link = application.link
    ? el("a", { class: "share-link", href: application.link.url, text: `${location.origin}${application.link.url}` })
    : el("button", { class: "btn btn-small", type: "button", text: "Get my link", onclick: () => takeLink(campaign) });
  const selectId = `show-for-${campaign.id}`;
  const select = el(
    "select",
    { id: selectId, name: "show" },
    ...state.shows
      .filter((show) => show.status !== "ended")
      .map((show) => el("option", { value: show.id }, show.title)),
  );
  const add = el("button", { class: "btn btn-small btn-primary", type: "button", text: "Add its products" });
  add.addEventListener("click", () => addToShow(campaign, select.value));
  add.disabled = campaign.status !== "active" || !select.options.length;
  return [
    el("div", { class: "row" }, link),
    el("div", { class: "row" }, el("label", { for: selectId, text: "Show" }), select, add),
  ];
}

async function takeLink(campaign) {
  try {
    /** @type {ShareLink} */
    const link = await authed("POST", `/api/campaigns/${encodeURIComponent(campaign.id)}/link`);
    announce($("#notice"), `Your link: ${location.origin}${link.url}`, 6000);
    await loadApplications();
  } catch (error) {
    setText("#applications-error", error.message);
  }
}

async function addToShow(campaign, showId) {
  try {
    for (const productId of campaign.product_ids) {
      await authed("POST", `/api/shows/${encodeURIComponent(showId)}/lineup`, {
        json: { product_id: productId, campaign_id: campaign.id },
      });
    }
    announce($("#notice"), `${campaign.title}: its products are in the show.`, 4000);
  } catch (error) {
    setText("#applications-error", error.message);
  }
}

// ---- shows --------------------------------------------------------------------------------------
async function loadShows() {
  try {
    /** @type {ShowList} */
    const list = await api("GET", "/api/shows");
    state.shows = list.shows.filter((show) => show.host_id === state.me.id);
    const rows = state.shows.map((show) =>
      el(
        "li",
        { dataset: { showId: show.id } },
        userText("span", show.title, { class: "grow" }),
        el("span", { class: `badge badge-${show.status}`, text: show.status }),
        el("a", { class: "btn btn-small", href: `/studio/${encodeURIComponent(show.id)}`, text: "Open the studio" }),
      ),
    );
    $("#shows").replaceChildren(...rows);
    $("#shows-empty").hidden = rows.length > 0;
  } catch (error) {
    setText("#shows-error", error.message);
  }
}

async function createShow(event) {
  event.preventDefault();
  const input = $("#show-title");
  try {
    await authed("POST", "/api/shows", { json: { title: input.value.trim() } });
    input.value = "";
    await loadShows();
    renderApplications();
    setText("#shows-error", "");
  } catch (error) {
    setText("#shows-error", error.message);
  }
}

// ---- money --------------------------------------------------------------------------------------
async function loadMoney() {
  try {
    /** @type {BalanceList} */
    const balance = await authed("GET", `/api/hosts/${mine()}/balance`);
    $("#balance").replaceChildren(
      ...balance.balances.map((one) =>
        el(
          "tr",
          { dataset: { currency: one.currency } },
          el("th", { scope: "row", text: one.currency }),
          el("td", { class: "pending", text: formatMoney(one.pending_cents, one.currency) }),
          el("td", { class: "available", text: formatMoney(one.available_cents, one.currency) }),
          el("td", { class: "paid", text: formatMoney(one.paid_cents, one.currency) }),
          el("td", { class: "negative", text: formatMoney(one.negative_cents, one.currency) }),
        ),
      ),
    );
    /** @type {PayoutList} */
    const payouts = await authed("GET", `/api/hosts/${mine()}/payouts`);
    $("#payouts").replaceChildren(
      ...payouts.payouts.map((one) =>
        el("li", {}, `${timeText(one.created_at)} · ${formatMoney(one.amount_cents, one.currency)} · ${one.status}`),
      ),
    );
    $("#payouts-empty").hidden = payouts.payouts.length > 0;
    await loadStatement();
    setText("#money-error", "");
  } catch (error) {
    setText("#money-error", error.message);
  }
}

const LINE_NAMES = { sale: "Sale", share: "Co-host share", refund: "Refund", payout: "Payout" };

async function loadStatement() {
  const response = await fetch(`/api/hosts/${mine()}/statement.csv`, {
    headers: { Authorization: `Bearer ${signIn.token}` },
  });
  if (!response.ok) throw new Error(`The statement could not be read (${response.status}).`);
  const text = await response.text();
  const [header, ...lines] = text.trim().split(/\r?\n/);
  const columns = header.split(",");
  const rows = lines.map((line) => Object.fromEntries(line.split(",").map((value, i) => [columns[i], value])));
  $("#statement").replaceChildren(
    ...rows.map((row) =>
      el(
        "tr",
        { dataset: { kind: row.kind } },
        el("td", { text: timeText(row.created_at) }),
        el("td", { text: LINE_NAMES[row.kind] || row.kind }),
        el("td", { text: row.order_id }),
        el("td", { class: "amount", text: formatMoney(Number(row.amount_cents), row.currency) }),
        el("td", { class: "balance", text: formatMoney(Number(row.balance_cents), row.currency) }),
      ),
    ),
  );
  const download = $("#statement-download");
  download.href = URL.createObjectURL(new Blob([text], { type: "text/csv" }));
  download.hidden = false;
}

// ---- start --------------------------------------------------------------------------------------
async function openPage() {
  state.me = await signIn.check();
  if (!state.me) return;
  signIn.done();
  setText("#host-name", state.me.name);
  await loadShows();
  await loadInvitations();
  await loadApplications();
  await loadCampaigns();
  await loadMoney();
}

function main() {
  translatePage(); // the page's static text; what host.js writes is English for now
  $("#search-form").addEventListener("submit", (event) => {
    event.preventDefault();
    loadCampaigns();
  });
  $("#show-form").addEventListener("submit", createShow);
  signIn.start(openPage);
}

main();
