"""App Home: what each person sees on OneTeam's Home tab, by role."""
