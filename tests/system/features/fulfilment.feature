Feature: Shipping and delivering orders
  Once an order is confirmed, the shop's staff hand it to a carrier and note the carrier and
  its tracking number: the order is shipped. Until then the amount is only held on the
  shopper's card; it is charged when the order ships. When the parcel has arrived, the staff
  note the delivery. Only the shop's staff ship and deliver orders: a shopper cannot, not even
  their own. A shipped or delivered order can no longer be cancelled.

  In the test shop, the bank is simulated: "a card the bank approves" is its test card
  "tok_visa".

  Background:
    Given a seller offers "Tea cup" at 12,000 won with 4 in stock
    And Bob is a signed-in shopper
    And Sam is on the shop's staff
    And Bob has a confirmed order for 2 "Tea cup" paid with a card the bank approves

  Scenario: The staff ship an order, the card is charged, then they deliver it
    Given Bob's card payment is approved
    When Sam ships Bob's order with "CJ Logistics" under tracking number "6012-3456-7890"
    Then Bob's order is shipped with "CJ Logistics" under tracking number "6012-3456-7890"
    And Bob's card payment is charged
    When Sam notes that Bob's order was delivered
    Then Bob's order is delivered
    When Bob cancels the order
    Then Bob is told the order can no longer be cancelled

  Scenario: A shopper cannot ship an order
    When Bob tries to ship his own order with "CJ Logistics" under tracking number "1"
    Then Bob is told only the shop's staff may do that
    And Bob's order is still confirmed and not shipped

  Scenario: A shopper cannot note a delivery
    When Sam ships Bob's order with "CJ Logistics" under tracking number "6012-3456-7890"
    And Bob tries to note that his own order was delivered
    Then Bob is told only the shop's staff may do that
    And Bob's order is shipped with "CJ Logistics" under tracking number "6012-3456-7890"

  Scenario: An order is delivered only after it has shipped
    When Sam notes that Bob's order was delivered
    Then Sam is told the order has not shipped yet
    And Bob's order is still confirmed and not shipped
