"""Options analytics: Black-Scholes-Merton pricing, implied volatility and chain features."""
