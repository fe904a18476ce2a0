"""Gradio app: the latest signal, live scoring, options visuals and the backtest, from pipeline artifacts."""
