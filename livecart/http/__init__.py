"""The neutral HTTP layer every transport shares: bearer-token auth (`auth`), browser protections
(`websecurity`), the error body and its middleware (`errors`) and request-body parsing (`parsing`).

`livecart.api`, the WHIP/WHEP routes (`livecart.media`) and the Socket.IO server (`livecart.live`) use
it; it imports none of them.
"""
