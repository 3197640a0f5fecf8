// The npm `openai` SDK as an independent client of the azoai emulator: chat, streaming, a tool call
// and embeddings, through the v1 route (OpenAI + baseURL) and the deployment route (AzureOpenAI).
// Prints one JSON object of parsed results; tests/integration/test_npm_openai_client.py asserts on it.
import { OpenAI, AzureOpenAI } from "openai";

const [endpoint, apiKey] = process.argv.slice(2);
const CHAT = "gpt-5.2";
const EMBED = "text-embedding-3-small";
const weather = {
  type: "function",
  function: {
    name: "get_weather",
    description: "Current weather for a city",
    parameters: {
      type: "object",
      properties: { city: { type: "string", description: "the city" } },
      required: ["city"],
    },
  },
};

async function exercise(client, chatModel, embedModel) {
  const messages = [{ role: "user", content: "Say hello in one short sentence." }];
  const chat = await client.chat.completions.create({ model: chatModel, messages });
  let streamed = "";
  let chunks = 0;
  const stream = await client.chat.completions.create({ model: chatModel, messages, stream: true });
  for await (const chunk of stream) {
    chunks += 1;
    streamed += chunk.choices[0]?.delta?.content ?? "";
  }
  const tool = await client.chat.completions.create({
    model: chatModel,
    messages: [{ role: "user", content: "What is the weather in Paris?" }],
    tools: [weather],
    tool_choice: { type: "function", function: { name: "get_weather" } },
  });
  const call = tool.choices[0].message.tool_calls[0];
  const emb = await client.embeddings.create({ model: embedModel, input: ["hello", "world"] });
  return {
    chat: { text: chat.choices[0].message.content, finish: chat.choices[0].finish_reason, model: chat.model },
    stream: { text: streamed, chunks },
    tool: { name: call.function.name, args: JSON.parse(call.function.arguments), finish: tool.choices[0].finish_reason },
    embeddings: { count: emb.data.length, dims: emb.data.map((d) => d.embedding.length), indexes: emb.data.map((d) => d.index) },
  };
}

// Every URL the SDK fetched, per client style, so the test can check which route each one took.
const seen = { v1: [], azure: [] };
const spy = (style) => (url, init) => {
  seen[style].push(`${init?.method ?? "GET"} ${String(url).slice(endpoint.length)}`);
  return fetch(url, init);
};
const common = { apiKey, maxRetries: 0 };
const v1 = new OpenAI({ ...common, baseURL: `${endpoint}/openai/v1`, fetch: spy("v1") });
const azureOpts = { ...common, endpoint, apiVersion: "2024-10-21", fetch: spy("azure") };
const azureChat = new AzureOpenAI({ ...azureOpts, deployment: CHAT });
const azureEmbed = new AzureOpenAI({ ...azureOpts, deployment: EMBED });
const azure = await exercise(
  { chat: azureChat.chat, embeddings: azureEmbed.embeddings },
  CHAT,
  EMBED,
);
const result = { v1: await exercise(v1, CHAT, EMBED), azure, urls: seen };
process.stdout.write(JSON.stringify(result));
