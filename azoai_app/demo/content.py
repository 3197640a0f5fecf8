"""What the demo asks: the questions, prompts and email, the ``Order`` schema and the tools' schemas.

Both frameworks run the same script, so every string and schema a step sends lives here once.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

EMBED_BATCH = 16
TOP_K = 3
MAX_AGENT_TURNS = 6
#: Why the index steps show no token count: both frameworks' embedding interfaces return bare vectors.
EMBEDDINGS_TOKENS_NOTE = "embeddings return vectors only"

RAG_QUESTIONS: tuple[str, ...] = (
    "How much does the Verdant Hub Pro cost, and what does Verdant Cloud Plus cost per year?",
    "What does a blinking amber status LED on the hub mean?",
    "Verdant Hub Pro warranty: how many years, and how is a warranty claim made?",
)
#: The documents a correct retrieval must cite for each question above.
RAG_EXPECTED_SOURCES: tuple[str, ...] = ("pricing.md", "led-codes.md", "warranty.md")
RAG_SYSTEM = "Answer from the context only, and cite sources like [pricing.md]."
AGENT_QUESTION = (
    "My greenhouse is 1200 ft2. Convert that to m2, then search the docs: which Verdant Hub model "
    "is made for a greenhouse that size?"
)
AGENT_SYSTEM = "Use the tools for facts, arithmetic and unit conversions; answer briefly."
STRUCTURED_SYSTEM = "Extract the customer's order from the email."
STRUCTURED_EMAIL = (
    "Hi, this is Dana Whitfield from Lyon, France. Please send 3 Verdant Hub Pro controllers and "
    "2 SoilSense 4-packs to our greenhouse. Express shipping, yes please."
)


class Order(BaseModel):
    """A customer order extracted from an email."""

    customer_name: str = Field(description="full name of the person writing")
    city: str
    country: str
    hub_model: Literal["Verdant Hub Pro", "Verdant Hub Mini", "Verdant Hub"]
    hub_quantity: int = Field(description="how many hubs")
    soilsense_4packs: int = Field(description="how many SoilSense 4-packs")
    express_shipping: bool


class SearchArgs(BaseModel):
    """Arguments of the ``search_docs`` tool."""

    query: str = Field(description="product name or topic to look for, e.g. 'Hub Pro price'")


class ConvertArgs(BaseModel):
    """Arguments of the ``convert_units`` tool."""

    value: float = Field(description="the number to convert")
    from_unit: str = Field(description="unit code to convert from, e.g. ft2, C, km/h")
    to_unit: str = Field(description="unit code to convert to, e.g. m2, F, mph")


class CalculatorArgs(BaseModel):
    """Arguments of the ``calculator`` tool."""

    expression: str = Field(description="arithmetic with + - * / ** and parentheses, e.g. (2 + 3) * 4")


SEARCH_DESCRIPTION = "Search the Verdant Hub documentation; returns the best passages with their document names."
CALCULATOR_DESCRIPTION = "Evaluate an arithmetic expression exactly."
CONVERT_DESCRIPTION = "Convert a value between units: C/F, m/cm/mm/ft/in, m2/ft2, l/gal, kg/g/lb, km/h/mph."


__all__ = [
    "AGENT_QUESTION",
    "AGENT_SYSTEM",
    "CALCULATOR_DESCRIPTION",
    "CONVERT_DESCRIPTION",
    "EMBED_BATCH",
    "EMBEDDINGS_TOKENS_NOTE",
    "MAX_AGENT_TURNS",
    "RAG_EXPECTED_SOURCES",
    "RAG_QUESTIONS",
    "RAG_SYSTEM",
    "SEARCH_DESCRIPTION",
    "STRUCTURED_EMAIL",
    "STRUCTURED_SYSTEM",
    "TOP_K",
    "CalculatorArgs",
    "ConvertArgs",
    "Order",
    "SearchArgs",
]
