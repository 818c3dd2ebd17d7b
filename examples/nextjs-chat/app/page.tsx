export default function Page() {
  return <p>POST /api/chat with {'{ "message": "…", "conversationId": "…" }'}</p>;
}
