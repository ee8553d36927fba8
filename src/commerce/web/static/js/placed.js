// The order a checkout just placed, handed to its order page: that page shows the 202's
// PENDING order at once instead of reading it again (it may already have moved on).
let placed = null;

export function remember(order) {
  placed = order;
}

export function take(orderId) {
  const order = placed && placed.id === orderId ? placed : null;
  placed = null;
  return order;
}
