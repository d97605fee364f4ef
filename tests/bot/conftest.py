"""Unit tests of the bot glue: gates, rendering, logging redaction, the emulator's request parsing."""
