"""Example sentences per emotion label: training data of the encoder's emotion head.

Emotion is not site-specific, so these ship with the kiosk rather than in a pack.
"""

from __future__ import annotations

EMOTION_EXAMPLES: dict[str, list[str]] = {
    "neutral": [
        "where is the toilet", "when is the next train", "how much is a ticket to the airport",
        "which exit for the buses", "is there wifi", "what time does the station close",
        "how do i get to union station", "can i top up my card here", "where are the lifts",
        "i need a day pass", "which platform for line two", "is there a cash machine",
        "what zone is this station", "how often do the trains run", "where is lost property",
        "tell me the way to exit c", "do children need a ticket", "ok", "hello",
    ],
    "happy": [
        "great thank you so much", "that's wonderful", "perfect you've been really helpful",
        "awesome i love this station", "brilliant thanks a lot", "i'm so excited to see the zoo",
        "lovely have a great day", "fantastic that was easy", "yay we're going to the beach",
        "you're amazing thanks", "that's great news", "i'm really happy with the service",
        "cool that's exactly what i needed", "nice one cheers", "glad the trains are on time",
    ],
    "frustrated": [
        "this is ridiculous the machine ate my money", "the train is late again",
        "i've been waiting for ages", "this is useless", "why is nothing working today",
        "the gate charged me twice this is unacceptable", "i'm fed up with these delays",
        "seriously come on", "you're not helping at all", "third time this week it's broken",
        "ugh the lift is broken again", "this is a joke", "i'm so annoyed right now",
        "stupid machine won't take my card", "i'm sick of this service", "what the hell",
    ],
    "anxious": [
        "i'm going to miss my flight", "please hurry i'm late",
        "i'm worried i'm on the wrong train",
        "i can't find my child", "is it safe here", "i'm scared", "i need to get there quickly",
        "oh no my train leaves in two minutes", "i'm running late for an interview",
        "help i don't know what to do", "i'm really nervous about changing lines",
        "my phone is dying and i'm lost", "i panicked and got off at the wrong stop",
        "urgent i need to get to the hospital", "what if the last train has gone",
    ],
    "sad": [
        "i lost my grandmother's ring", "i've had such a bad day", "i'm so upset",
        "unfortunately i lost my wallet with all my money", "i feel so alone in this city",
        "my bag with my late father's watch is gone", "i'm just really sad today",
        "nobody will help me", "i missed my friend's funeral", "i can't afford the fare",
        "i've been crying all morning", "i'm heartbroken", "i feel down",
        "it was a gift from my mum and now it's gone",
    ],
    "confused": [
        "i don't understand the map", "i'm confused which line do i take",
        "what do you mean", "this makes no sense", "i'm not sure where i am",
        "huh which way is it", "sorry i don't get it", "how does this card thing work",
        "i'm lost where is the exit", "wait what platform", "i have no idea how the zones work",
        "it's my first time here how does it work", "i thought this was line two",
        "the signs are confusing", "which one do i press",
    ],
}
