"""Lead data: companies, signals, scores, history, alerts, CRM-lite."""
