"""A weather service that takes its time, for the future that calls it."""

import time

import Pyro4


@Pyro4.expose
class WeatherService(object):
    FORECASTS = {"Amsterdam": "rain", "Lisbon": "sun", "Oslo": "snow"}

    def forecast(self, city, seconds):
        time.sleep(seconds)
        return self.FORECASTS.get(city, "fog")


def main():
    with Pyro4.Daemon() as daemon:
        uri = daemon.register(WeatherService, "example.futures.weather")
        print("weather service ready, uri:", uri, flush=True)
        daemon.requestLoop()


if __name__ == "__main__":
    main()
