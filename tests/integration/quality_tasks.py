"""The emulator's answer-quality task set (issue 11 §3): agent, extraction and RAG tasks, each with
the answer a capable model gives. test_emulator_quality.py runs every task through LangChain and
LlamaIndex against the emulator and reports the pass rate per category and framework."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, Field

# ----------------------------------------------------------------------------------- agent tasks


def add(a: float, b: float) -> float:
    """Add two numbers a and b."""
    return a + b


def subtract(a: float, b: float) -> float:
    """Subtract b from a."""
    return a - b


def multiply(a: float, b: float) -> float:
    """Multiply two numbers a and b."""
    return a * b


def divide(a: float, b: float) -> float:
    """Divide a by b."""
    return a / b


def get_weather(city: str) -> str:
    """Get the current weather for a city."""
    return {"Paris": "18 C and sunny", "Oslo": "-3 C and snowing", "Lima": "22 C and cloudy"}.get(city, "unknown")


def convert_currency(amount: float, from_currency: str, to_currency: str) -> str:
    """Convert an amount of money from one currency code to another (USD, EUR, GBP)."""
    rates = {("USD", "EUR"): 0.5, ("EUR", "USD"): 2.0, ("GBP", "USD"): 1.25}
    rate = rates.get((from_currency.upper(), to_currency.upper()))
    return f"{amount:g} {from_currency} = {amount * rate:g} {to_currency}" if rate else "unknown rate"


def lookup_population(country: str) -> str:
    """Look up the population of a country."""
    return {"Iceland": "Iceland has 390000 inhabitants", "Malta": "Malta has 540000 inhabitants"}.get(country, "?")


def _fmt(x: float) -> str:
    return str(int(x)) if x == int(x) else f"{x:g}"


ARITH_TOOLS = (add, subtract, multiply, divide)


@dataclass(frozen=True)
class AgentTask:
    question: str
    tools: tuple[Any, ...]
    calls: tuple[str, ...]  # the tool names, in the order a careful model calls them
    expected: str  # must appear in the final answer


AGENT_TASKS: tuple[AgentTask, ...] = (
    AgentTask("What is 20+(2*4)?", ARITH_TOOLS, ("multiply", "add"), "28"),
    AgentTask("What is (3 + 4) times 5?", ARITH_TOOLS, ("add", "multiply"), "35"),
    AgentTask("Compute 7 * 6 + 3 * 2.", ARITH_TOOLS, ("multiply", "multiply", "add"), "48"),
    AgentTask("What is 100 - 7 * 8?", ARITH_TOOLS, ("multiply", "subtract"), "44"),
    AgentTask("What is (90 / 3) + 12?", ARITH_TOOLS, ("divide", "add"), "42"),
    AgentTask("What is 2.5 * 4 - 1?", ARITH_TOOLS, ("multiply", "subtract"), "9"),
    AgentTask("What is 15 plus 27?", ARITH_TOOLS, ("add",), "42"),
    AgentTask("What's the weather in Oslo?", (get_weather, lookup_population), ("get_weather",), "-3 C and snowing"),
    AgentTask("Convert 40 USD to EUR.", (convert_currency, get_weather), ("convert_currency",), "40 USD = 20 EUR"),
    AgentTask("How many people live in Iceland?", (get_weather, lookup_population), ("lookup_population",), "390000"),
)

# ------------------------------------------------------------------------------ extraction tasks


class Person(BaseModel):
    """A person who moved."""

    name: str
    age: int
    from_city: str
    to_city: str
    move_date: str = Field(description="ISO date of the move")
    languages: list[str]


class Meeting(BaseModel):
    """A meeting to schedule."""

    title: str
    date: str
    start_time: str
    room: str
    attendees: list[str]


class Invoice(BaseModel):
    """An invoice."""

    invoice_number: str
    amount: float
    currency: Literal["USD", "EUR", "GBP"]
    due_date: str


class Review(BaseModel):
    """A product review."""

    product: str = Field(description="product name")
    rating: int = Field(description="stars, 1 to 5")
    sentiment: Literal["positive", "negative", "neutral"]


class Flight(BaseModel):
    """A flight booking."""

    flight_number: str
    origin: str
    destination: str
    departure_date: str


class Recipe(BaseModel):
    """A recipe."""

    dish: str = Field(description="name of the dish")
    servings: int = Field(description="how many people it serves")
    ingredients: list[str]


class Address(BaseModel):
    street: str
    postcode: str
    city: str
    country: str


class Shipment(BaseModel):
    """Where to send a parcel."""

    recipient_name: str
    address: Address


class Ticket(BaseModel):
    """A support ticket."""

    ticket_id: str
    priority: Literal["low", "medium", "urgent"]
    location: str
    since: str = Field(description="date the problem started")


class Company(BaseModel):
    """A company profile."""

    company_name: str
    founded_year: int
    founder: str
    headquarters: str
    employees: int


class Order(BaseModel):
    """An order."""

    customer_name: str
    quantity: int = Field(description="how many kettles")
    express_shipping: bool


@dataclass(frozen=True)
class ExtractionTask:
    text: str
    schema: type[BaseModel]
    expected: dict[str, Any] = field(default_factory=dict)


EXTRACTION_TASKS: tuple[ExtractionTask, ...] = (
    ExtractionTask(
        "Alice Smith, 34, moved from Paris to Berlin on 2024-03-01; she speaks French and German.",
        Person,
        {
            "name": "Alice Smith",
            "age": 34,
            "from_city": "Paris",
            "to_city": "Berlin",
            "move_date": "2024-03-01",
            "languages": ["French", "German"],
        },
    ),  # fmt: skip
    ExtractionTask(
        "Please schedule the Budget Review on 2025-01-15 at 14:30 in Room 4B with Ana Lima and Joe Park.",
        Meeting,
        {"date": "2025-01-15", "start_time": "14:30", "attendees": ["Ana Lima", "Joe Park"]},
    ),
    ExtractionTask(
        "Invoice INV-2024-0042 for €1,250.50 is due on 2024-12-31.",
        Invoice,
        {"invoice_number": "INV-2024-0042", "amount": 1250.5, "currency": "EUR", "due_date": "2024-12-31"},
    ),
    ExtractionTask(
        "I love my new Nimbus Kettle, it boils fast and looks great. 5 stars!",
        Review,
        {"rating": 5, "sentiment": "positive"},
    ),
    ExtractionTask(
        "Book me on LH454 from Frankfurt to Lisbon on 12 June 2025.",
        Flight,
        {"flight_number": "LH454", "origin": "Frankfurt", "destination": "Lisbon", "departure_date": "2025-06-12"},
    ),
    ExtractionTask(
        "Pancakes for 4 people need flour, milk, eggs and butter.",
        Recipe,
        {"servings": 4, "ingredients": ["flour", "milk", "eggs", "butter"]},
    ),
    ExtractionTask(
        "Send the parcel to Maria Rossi at Via Roma 12, 00184 Rome, Italy.",
        Shipment,
        {
            "recipient_name": "Maria Rossi",
            "address": {"street": "Via Roma 12", "postcode": "00184", "city": "Rome", "country": "Italy"},
        },
    ),  # fmt: skip
    ExtractionTask(
        "Urgent: the server in Dublin has been down since 2025-02-03, see ticket OPS-7781.",
        Ticket,
        {"ticket_id": "OPS-7781", "priority": "urgent", "location": "Dublin", "since": "2025-02-03"},
    ),
    ExtractionTask(
        "Loamwise Systems was founded in 2016 by Priya Natarajan; it is headquartered in Utrecht and employs 240 people.",
        Company,
        {"founded_year": 2016, "founder": "Priya Natarajan", "headquarters": "Utrecht", "employees": 240},
    ),
    ExtractionTask(
        "Hi, Tom Baker here. I'd like 3 kettles, with express shipping please.",
        Order,
        {"customer_name": "Tom Baker", "quantity": 3, "express_shipping": True},
    ),
)

# ------------------------------------------------------------------------------------ RAG tasks

CORPUS: tuple[str, ...] = (
    "The Nimbus Kettle holds 1.7 litres of water. It boils a full kettle in 3 minutes.",
    "The Nimbus Kettle costs $89 and ships in a recycled cardboard box.",
    "Orders placed before 2 pm ship the same day from the warehouse in Leeds.",
    "The kettle's warranty lasts 5 years and covers the heating element.",
    "Customers can return the kettle within 30 days for a full refund.",
    "The kettle comes in three colours: slate grey, forest green and cream.",
    "In hard-water areas the base plate must be descaled every 4 weeks.",
    "Marta Okafor founded Nimbus Appliances in 2015 in Manchester.",
)


@dataclass(frozen=True)
class RagTask:
    question: str
    expected: str | None  # a phrase of the right passage, or None: the context does not say


NOT_SAID = "The context does not say"

RAG_TASKS: tuple[RagTask, ...] = (
    RagTask("How much water does the Nimbus Kettle hold?", "1.7 litres"),
    RagTask("How much does the Nimbus Kettle cost?", "$89"),
    RagTask("Where is the warehouse that ships the orders?", "Leeds"),
    RagTask("How long does the kettle's warranty last?", "5 years"),
    RagTask("Within how many days can customers return the kettle for a refund?", "30 days"),
    RagTask("Which colours does the kettle come in?", "slate grey"),
    RagTask("Who founded Nimbus Appliances?", "Marta Okafor"),
    RagTask("How often must the base plate be descaled?", "every 4 weeks"),
    RagTask("What is the wattage of the kettle?", None),
    RagTask("Who is the CEO of Nimbus Appliances?", None),
    RagTask("Does the Nimbus Toaster have a warranty?", None),
)
