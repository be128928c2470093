"""Public registration: the form, the registrant's private page, the rules behind them."""
