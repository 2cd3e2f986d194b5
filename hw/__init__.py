"""Every device of the kiosk behind an interface, each with a sim twin.

``hw`` imports nothing from the rest of the project.
"""
