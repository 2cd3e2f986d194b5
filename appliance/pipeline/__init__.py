"""The conversation pipeline: processors on one asyncio loop, linked by bounded channels."""
