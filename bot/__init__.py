"""emailstatus-bot: answers 'HTML Email Status not updating in Outlook' in Slack threads."""
