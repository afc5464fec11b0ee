print("Hello from Kite!")
