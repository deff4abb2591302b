"""The `Workspace` facade in parts, one per domain; `watchkeeper.workspace` joins them."""
