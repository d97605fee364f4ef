"""The Bot API methods the emulator implements, grouped by area."""
