// Every English string of the pages (keys are "area.what"); fr.js has the same keys.
export default {
  "cart.limit": ({ limit }) => `You can buy at most ${limit} of each product in this show`,
};
