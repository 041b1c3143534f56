interface Order {
  price: number;
  quantity: number;
  shipping: number;
}

function add(a: number, b: number): number {
  return a + b;
}

function total(order: Order): number {
  return add(order.price * order.quantity, order.shipping);
}

function totalWithTax(order: Order, tax: number): number {
  return add(order.price * order.quantity, order.shipping) * (1 + tax);
}
