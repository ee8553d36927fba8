Feature: Checking out a cart
  A shopper collects products in a cart, sees what it costs, then checks the cart out: one
  order for everything in it, paid by card. The cart keeps its products until that order is
  confirmed; then the products that were ordered leave the cart, while anything put in the
  cart after the checkout stays there for next time. When the order is turned down, the cart
  stays as it was.

  In the test shop, the bank is simulated: "a card the bank approves" is its test card
  "tok_visa" and "a card the bank declines" is its test card "tok_declined".

  Background:
    Given a seller offers "Green tea" at 4,500 won with 10 in stock
    And a seller offers "Tea cup" at 12,000 won with 4 in stock
    And a seller offers "Tea pot" at 30,000 won with 2 in stock
    And Bob is a signed-in shopper

  Scenario: Checking out a cart with two products
    Given Bob puts 3 "Green tea" in his cart
    And Bob puts 2 "Tea cup" in his cart
    And Bob's cart costs 37,500 won
    When Bob checks out his cart and pays with a card the bank approves
    And Bob puts 1 "Tea pot" in his cart
    Then Bob's order is confirmed
    And Bob's order is for 3 "Green tea" and 2 "Tea cup"
    And Bob's order costs 37,500 won
    And Bob's cart holds only 1 "Tea pot"
    And 7 "Green tea" are left in stock
    And 2 "Tea cup" are left in stock
    And 2 "Tea pot" are left in stock

  Scenario: When the card is declined, the cart stays as it was
    Given Bob puts 3 "Green tea" in his cart
    When Bob checks out his cart and pays with a card the bank declines
    Then Bob's order is turned down because the payment was declined
    And Bob's cart holds only 3 "Green tea"
    And 10 "Green tea" are left in stock

  Scenario: An empty cart cannot be checked out
    When Bob checks out his cart and pays with a card the bank approves
    Then Bob is told his cart is empty
    And Bob has no orders
