Feature: Placing and cancelling orders
  A shopper orders products from the catalogue. The shop confirms an order only when every
  product in it is in stock, and then sets those units aside for the shopper: they leave the
  stock. When one product is short, the whole order is turned down and nothing is set aside.
  Cancelling an order puts its units back in stock.

  Background:
    Given a seller offers "Green tea" at 4,500 won with 10 in stock
    And a seller offers "Tea cup" at 12,000 won with 4 in stock
    And Bob is a signed-in shopper

  Scenario: An order in stock is confirmed and the stock goes down
    When Bob orders 3 "Green tea" and 2 "Tea cup"
    Then Bob's order is confirmed
    And Bob's order costs 37,500 won
    And 7 "Green tea" are left in stock
    And 2 "Tea cup" are left in stock

  Scenario: Cancelling a confirmed order puts the stock back
    Given Bob has a confirmed order for 3 "Green tea" and 4 "Tea cup"
    And 7 "Green tea" are left in stock
    And 0 "Tea cup" are left in stock
    When Bob cancels the order
    Then Bob's order is cancelled
    And 10 "Green tea" are left in stock
    And 4 "Tea cup" are left in stock

  Scenario: The units a cancelled order put back can be bought again
    Given Bob has a confirmed order for 4 "Tea cup"
    And Carol is a signed-in shopper
    When Carol orders 1 "Tea cup"
    Then Carol's order is turned down because it is out of stock
    When Bob cancels the order
    Then 4 "Tea cup" are left in stock
    When Carol orders 4 "Tea cup"
    Then Carol's order is confirmed
    And 0 "Tea cup" are left in stock

  Scenario: A cancelled order cannot be cancelled twice
    Given Bob has a confirmed order for 1 "Green tea"
    When Bob cancels the order
    And Bob cancels the order again
    Then Bob is told the order can no longer be cancelled
    And 10 "Green tea" are left in stock

  Scenario: An order for more than is in stock is turned down
    When Bob orders 5 "Tea cup"
    Then Bob's order is turned down because it is out of stock
    And 4 "Tea cup" are left in stock

  Scenario: When one product is short, nothing in the order is set aside
    When Bob orders 3 "Green tea" and 5 "Tea cup"
    Then Bob's order is turned down because it is out of stock
    And 10 "Green tea" are left in stock
    And 4 "Tea cup" are left in stock

  Scenario: An order turned down cannot be cancelled
    When Bob orders 5 "Tea cup"
    Then Bob's order is turned down because it is out of stock
    When Bob cancels the order
    Then Bob is told the order can no longer be cancelled
