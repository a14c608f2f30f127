// Every French string of the pages, with the same keys as en.js.
export default {
  "cart.limit": ({ limit }) => `Vous pouvez acheter au plus ${limit} exemplaires de chaque produit dans ce live`,
};
