Feature: Paying for an order by card
  A shopper can pay for an order by card. The shop first sets the ordered units aside, then
  asks the card's bank to approve the payment: the amount is held on the card, and the order
  is confirmed. When the bank declines the card, the order is turned down, nothing is
  charged and the units set aside go back in stock, for anyone to buy.

  In the test shop, the bank is simulated: "a card the bank approves" is its test card
  "tok_visa" and "a card the bank declines" is its test card "tok_declined".

  Background:
    Given a seller offers "Green tea" at 4,500 won with 10 in stock
    And Bob is a signed-in shopper

  Scenario: A card the bank approves confirms the order
    When Bob orders 3 "Green tea" and pays with a card the bank approves
    Then Bob's order is confirmed
    And Bob's order costs 13,500 won
    And Bob's card payment is approved
    And 7 "Green tea" are left in stock

  Scenario: A declined card turns the order down and the stock comes back
    When Bob orders 3 "Green tea" and pays with a card the bank declines
    Then Bob's order is turned down because the payment was declined
    And Bob's card payment is declined
    And 10 "Green tea" are left in stock

  Scenario: The units of a declined order can be bought by someone else
    Given Carol is a signed-in shopper
    When Bob orders 10 "Green tea" and pays with a card the bank declines
    Then Bob's order is turned down because the payment was declined
    When Carol orders 10 "Green tea" and pays with a card the bank approves
    Then Carol's order is confirmed
    And 0 "Green tea" are left in stock
