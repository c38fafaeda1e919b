// dbus-next requires usocket inside a try and falls back to node:net for unix:path= addresses.
throw new Error("usocket is not used by sigmavault (no file-descriptor passing over D-Bus)")
