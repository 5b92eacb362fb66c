"""Harnesses for the real and recorded peers the network adapters are tested against."""
