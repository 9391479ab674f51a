"""This folder ships in the wheel as the package ``emailstatus_knowledge`` (data only)."""
