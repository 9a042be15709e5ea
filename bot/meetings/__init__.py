"""The casusoverleg: planned, started, steered question by question, shown in its thread,
its minutes kept, and its summary at the end."""
