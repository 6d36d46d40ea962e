"""The words of the product: places, trades, wishes, option kinds and the contract's codes."""
