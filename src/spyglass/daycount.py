"""Day-count conventions, in one place.

Daily series (returns, realised and GARCH vols, Sharpe) annualise with trading days; option maturities are
ACT/365 calendar years, as quoted by CBOE and used in Black-Scholes-Merton.
"""

TRADING_DAYS_PER_YEAR = 252
CALENDAR_DAYS_PER_YEAR = 365.0
