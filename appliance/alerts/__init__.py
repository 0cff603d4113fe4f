"""Alerts: rules fed by polls and a timer, alert records, notifications (webhook, ntfy, SMTP), hop status."""
