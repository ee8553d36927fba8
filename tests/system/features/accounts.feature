Feature: Opening an account, signing in and signing out
  Anyone can open an account with an e-mail address and a password of 8 characters or more.
  Signing in with that e-mail address and password lets the shopper see their account and
  their orders; signing out ends that access.

  Scenario: A new shopper opens an account and signs in
    When Ann signs up with the password "correct horse battery staple"
    Then Ann's account is opened
    When Ann signs in with the password "correct horse battery staple"
    Then Ann is signed in
    And Ann sees her own account

  Scenario: An e-mail address opens only one account
    Given Ann has an account
    When someone signs up with Ann's e-mail address written in capitals
    Then they are told the e-mail address is taken

  Scenario: A password that is too short is refused
    When Ann signs up with the password "short"
    Then Ann is told the password is too short
    And Ann cannot sign in with the password "short"

  Scenario: A wrong password is refused
    Given Ann has an account with the password "correct horse battery staple"
    When Ann signs in with the password "wrong horse battery staple"
    Then Ann is refused
    And Ann is given no access to the shop

  Scenario: A wrong password and an unknown e-mail address get the same answer
    Given Ann has an account with the password "correct horse battery staple"
    When Ann signs in with the password "wrong horse battery staple"
    And someone signs in with an e-mail address nobody signed up with
    Then both are refused with the same message

  Scenario: Signing out ends the access of that sign-in only
    Given Ann is signed in on her phone
    And Ann is signed in on her laptop
    When Ann signs out on her phone
    Then Ann can no longer see her account on her phone
    And Ann can no longer see her orders on her phone
    But Ann still sees her own account on her laptop
