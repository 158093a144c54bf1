"""Fakes of services this machine cannot run, each following the real service's documented
wire behaviour closely enough that the real client library talks to it unchanged."""
