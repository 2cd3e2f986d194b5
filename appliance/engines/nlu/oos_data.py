"""General out-of-scope sentences: what no station kiosk answers, by topic.

They are negative examples for the intent head of every site pack (added to the
pack's own ``out_of_scope`` examples), written from broad topic lists so unseen
subjects land on "I can't help with that" instead of the nearest in-scope intent.
A sentence too close to one of the pack's in-scope examples is dropped at training
time (see :func:`appliance.engines.nlu.training.general_oos`), so a pack that does
cover a topic (a museum kiosk answering about paintings) keeps it.
"""

from __future__ import annotations

OOS_TOPICS: dict[str, list[str]] = {
    "weather": [
        "what's the forecast for tomorrow", "will it rain this afternoon", "how cold is it outside",
        "do i need an umbrella today", "is there a storm coming", "what's the temperature",
        "is it going to be hot at the weekend", "how windy is it", "when will the sun come out",
        "is it snowing in the mountains", "weather forecast please", "will it be foggy tonight",
        "what's the humidity", "is it warm enough for shorts", "heatwave next week",
    ],
    "sport": [
        "who won the game last night", "what's the football score", "when does the season start",
        "who is the best tennis player", "did the local team win", "tennis results",
        "what time is kick off", "who scored the winning goal", "basketball scores please",
        "how do i get tickets for the final", "who's top of the league", "formula one results",
        "is the marathon on sunday", "how many goals did he score", "who won the grand prix",
        "best golfer of all time", "how long is a rugby match", "olympic medal table",
    ],
    "politics and news": [
        "who won the election", "what's the latest news", "what do you think about the government",
        "who is the president of the united states", "tell me today's headlines",
        "which party should i support", "what's happening in the world", "is there a war going on",
        "when is the next election", "what did the prime minister say", "read me the news",
        "what are the new tax rules", "who is the mayor", "what's going on in parliament",
    ],
    "cooking and food": [
        "how do i make lasagne", "give me a recipe for chocolate cake",
        "how long do you roast a chicken", "what can i cook with potatoes", "is pasta healthy",
        "how do you make soup", "what wine goes with fish", "best way to cook steak",
        "how many eggs for an omelette", "what's a vegan dinner idea", "how do i make sushi",
        "what spices go in a curry", "how do i bake cookies", "what should i have for lunch",
        "recipe for pancakes please",
    ],
    "shopping": [
        "where can i buy a jacket", "is there a shoe sale", "what's the cheapest tv",
        "which phone should i buy", "can you order this online for me", "where's a good bookshop",
        "how much is a new laptop", "i need to buy a present for my mum", "best place to buy jeans",
        "are there any discounts on furniture", "where can i buy groceries",
        "does anyone sell bikes", "compare prices of headphones", "what's on sale today",
        "i want to buy a sofa",
    ],
    "money and crypto": [
        "should i invest in bitcoin", "what's the price of gold", "how are the stock markets doing",
        "is crypto a good investment", "what's the dollar worth in euros", "how do i buy shares",
        "what is dogecoin", "how do i open a bank account", "what's the interest rate",
        "can you give me a loan", "how do i save money", "how do i pay off my credit card",
        "what's my bank balance", "transfer money to my friend", "how does a pension work",
    ],
    "celebrities and entertainment": [
        "who is the most famous actor", "how old is beyonce", "is that singer married",
        "what's the new marvel film", "who won the oscars", "what's the best netflix series",
        "when is the next concert in town", "who sings this song", "recommend a podcast",
        "what's the latest album", "tell me about the royal family", "which celebrity lives here",
        "who plays james bond", "what's on at the theatre", "best video game this year",
    ],
    "maths and trivia": [
        "what is twelve times twelve", "what's 15 percent of 80", "how many days in a leap year",
        "what is pi", "convert miles to kilometres", "what's the boiling point of water",
        "how many continents are there", "who discovered penicillin",
        "when was the eiffel tower built", "what's the largest ocean", "how far away is the moon",
        "what is the chemical symbol for gold", "how many bones are in the human body",
        "who was the first man on the moon", "what language do they speak in brazil",
        "what's the longest river in the world", "calculate 45 divided by 9", "is a tomato a fruit",
    ],
    "other cities and travel abroad": [
        "how do i get to new york", "what's the best thing to do in rome", "is madrid expensive",
        "how long is the flight to sydney", "book me a holiday in spain",
        "what's the weather in dubai", "where should i go on holiday",
        "do i need a visa for america", "how far is london from paris",
        "what time zone is los angeles in", "best beaches in thailand", "tell me about amsterdam",
        "cheap flights to berlin", "which country has the best food", "how big is china",
    ],
    "personal assistant": [
        "set a timer for ten minutes", "wake me up at six", "call my brother",
        "send a text to john", "add milk to my shopping list", "what's on my calendar",
        "turn up the volume", "play my favourite playlist", "take a photo of me", "read my emails",
        "remind me about the dentist", "open youtube", "switch off the heating",
        "show me my messages", "save this number",
    ],
    "health and body": [
        "i have a headache what should i take", "how much water should i drink",
        "is running good for you", "how do i get rid of a cold", "what causes back pain",
        "how many hours should i sleep", "is chocolate bad for your teeth", "how do i stop snoring",
        "what are good exercises for abs", "should i see a doctor about my rash",
        "how do i quit smoking", "what vitamins should i take",
    ],
    "technology help": [
        "my computer is slow", "how do i reset my router", "why won't my printer work",
        "how do i update my phone", "my email isn't sending", "how do i delete my instagram",
        "what's the best antivirus", "how do i back up my photos", "my tablet won't turn on",
        "how do i code in python", "what is artificial intelligence", "how do i build a website",
    ],
    "home, family and pets": [
        "how do i train my puppy", "what do cats eat", "how often should i water plants",
        "how do i unblock a sink", "my kids won't go to sleep", "how do i paint a wall",
        "what breed of dog is best for families", "how do i get a stain out of a shirt",
        "when should i plant tomatoes", "how do i change a light bulb", "my rabbit is not eating",
        "where can i adopt a kitten", "how do i fix a leaking tap",
    ],
    "life, school and work": [
        "how do i write a cv", "what should i study at university", "how do i ask for a pay rise",
        "help me write an essay", "what's a good career for me", "how do i learn to drive",
        "how do i make friends", "should i break up with my boyfriend",
        "what's the best way to revise", "how do i speak in public", "how can i be more productive",
        "what's the meaning of it all",
    ],
    "city services elsewhere": [
        "where is the post office", "how do i register to vote", "where is the town hall",
        "book me a doctor", "where can i get my hair cut", "is there a swimming pool nearby",
        "how do i pay my council tax", "where can i recycle batteries", "find me a good school",
        "how do i report a pothole", "which dentist takes new patients",
        "book a restaurant for tonight", "where can i hire a car", "how do i get a parking permit",
    ],
    "the assistant's opinions": [
        "what's your favourite food", "do you like dogs or cats", "what's your star sign",
        "do you believe in god", "what do you think of modern art",
        "which football team do you support", "do you have a girlfriend",
        "what's your favourite film", "do you dream",
    ],
    "nonsense and fragments": [
        "potato", "the green elephant flies at midnight", "asdf", "lorem ipsum dolor",
        "my uncle's neighbour has a boat", "seven purple bananas", "nothing", "la la la",
        "testing testing one two", "hmm let me think", "i like cheese", "the dog ate my homework",
        "is this thing on", "mmm", "blue", "yesterday i went swimming",
    ],
}

def all_oos() -> list[str]:
    """Every sentence of :data:`OOS_TOPICS`, topic by topic."""
    return [text for texts in OOS_TOPICS.values() for text in texts]
