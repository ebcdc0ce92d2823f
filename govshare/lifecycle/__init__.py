"""The agreement lifecycle of article 13: the state machine, the actions, the deadlines."""
